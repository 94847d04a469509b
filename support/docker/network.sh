#!/usr/bin/env bash
# Brings the two-organisation Fabric network with the 9ten chaincode and two 9ten nodes up or down.
#   ./network.sh up | down
set -euo pipefail
cd "$(dirname "$0")"
compose() { docker compose -f docker-compose.yml "$@"; }

case "${1:-}" in
  up)
    # 1. Identities (cryptogen) unless present.
    if [ ! -d crypto/peerOrganizations ]; then
      mkdir -p crypto
      compose run --rm tools cryptogen generate --config=/fabric/crypto-config.yaml --output=/crypto
    fi
    # The nodes read the client keys from a fixed name.
    for n in 1 2; do
      ks=crypto/peerOrganizations/org$n.9ten.local/users/User1@org$n.9ten.local/msp/keystore
      [ -f "$ks/priv_sk" ] || cp "$(ls "$ks"/* | head -1)" "$ks/priv_sk"
    done
    # 2. Fabric, then the channel and the chaincode definition.
    compose up -d postgres redis orderer.orderer.9ten.local peer0.org1.9ten.local peer0.org2.9ten.local
    sleep 5
    compose run --rm tools bash /work/deploy-chaincode.sh
    cp crypto/chaincode.env chaincode.env
    # 3. The chaincode service (built from chaincode/), then the nodes (each joins the registry at start).
    (cd ../.. && npm run build:chaincode)
    compose --profile chaincode up -d chaincode.9ten.local
    compose --profile nodes up -d node1 node2
    echo "node1: http://localhost:9011  node2: http://localhost:9012"
    ;;
  down)
    compose --profile chaincode --profile nodes --profile tools down -v
    rm -rf crypto
    echo "CHAINCODE_ID=" > chaincode.env
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
