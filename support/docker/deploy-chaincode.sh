#!/usr/bin/env bash
# Runs inside the fabric-tools container (see network.sh): creates the channel, joins both
# peers, and deploys the 9ten chaincode as a service with its private data collections.
set -euo pipefail
# Fabric channel names start with a letter ([a-z][a-z0-9.-]*), as npm run fabric found.
CH=nineten
CC=nineten
VERSION=${CC_VERSION:-1}
SEQUENCE=${CC_SEQUENCE:-1}
ORDERER=orderer.orderer.9ten.local:7050
ORDERER_TLS=/crypto/ordererOrganizations/orderer.9ten.local/orderers/orderer.orderer.9ten.local/tls
ORDERER_CA=$ORDERER_TLS/ca.crt

if [ ! -f /crypto/$CH.block ]; then
  configtxgen -configPath /fabric -profile NinetenChannel -outputBlock /crypto/$CH.block -channelID $CH
  osnadmin channel join --channelID $CH --config-block /crypto/$CH.block -o orderer.orderer.9ten.local:7053 \
    --ca-file $ORDERER_CA --client-cert $ORDERER_TLS/server.crt --client-key $ORDERER_TLS/server.key
fi

as_org() {
  local n=$1
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_LOCALMSPID=Org${n}MSP
  export CORE_PEER_ADDRESS=peer0.org${n}.9ten.local:7051
  export CORE_PEER_TLS_ROOTCERT_FILE=/crypto/peerOrganizations/org${n}.9ten.local/peers/peer0.org${n}.9ten.local/tls/ca.crt
  export CORE_PEER_MSPCONFIGPATH=/crypto/peerOrganizations/org${n}.9ten.local/users/Admin@org${n}.9ten.local/msp
}

# Chaincode-as-a-service package: the peers dial chaincode.9ten.local:9999.
mkdir -p /tmp/pkg && cd /tmp/pkg
printf '{"address":"chaincode.9ten.local:9999","dial_timeout":"10s","tls_required":false}' > connection.json
printf '{"type":"ccaas","label":"%s_%s"}' "$CC" "$VERSION" > metadata.json
tar czf code.tar.gz connection.json
tar czf /crypto/$CC.tgz metadata.json code.tar.gz
PACKAGE_ID=$(peer lifecycle chaincode calculatepackageid /crypto/$CC.tgz)

for n in 1 2; do
  as_org $n
  peer channel list | grep -qx $CH || peer channel join -b /crypto/$CH.block
  peer lifecycle chaincode queryinstalled | grep -q "$PACKAGE_ID" || peer lifecycle chaincode install /crypto/$CC.tgz
  peer lifecycle chaincode approveformyorg -o $ORDERER --tls --cafile $ORDERER_CA --channelID $CH --name $CC \
    --version "$VERSION" --package-id "$PACKAGE_ID" --sequence "$SEQUENCE" --collections-config /work/collections_config.json
done

as_org 1
peer lifecycle chaincode commit -o $ORDERER --tls --cafile $ORDERER_CA --channelID $CH --name $CC \
  --version "$VERSION" --sequence "$SEQUENCE" --collections-config /work/collections_config.json \
  --peerAddresses peer0.org1.9ten.local:7051 --tlsRootCertFiles /crypto/peerOrganizations/org1.9ten.local/peers/peer0.org1.9ten.local/tls/ca.crt \
  --peerAddresses peer0.org2.9ten.local:7051 --tlsRootCertFiles /crypto/peerOrganizations/org2.9ten.local/peers/peer0.org2.9ten.local/tls/ca.crt
echo "CHAINCODE_ID=$PACKAGE_ID" > /crypto/chaincode.env
echo "deployed $CC $VERSION (sequence $SEQUENCE) as $PACKAGE_ID"
