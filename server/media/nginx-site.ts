// The nginx site for a node behind nginx: public segments straight from disk (metered from
// nginx's access log, see front-log-meter.ts), everything else proxied to the node. Written
// by `npm run nginx-site`; the tests and bench/listening run nginx with this same text.
import { corsEntries, cacheControlFor } from './streaming-headers.js';
import { PUBLIC_STREAMING_DIR } from './public-segments.js';

export interface NginxSiteOptions {
  /** What nginx listens on: `80`, `127.0.0.1:8080`, `443 ssl` (add the certificate lines yourself). */
  listen: string;
  serverName: string;
  /** Where the node answers, e.g. http://127.0.0.1:9000. */
  nodeOrigin: string;
  /** The node's media folder (<dataDir>/media). */
  mediaRoot: string;
  /** The access log the node meters from: the node's media.frontAccessLog. */
  accessLog: string;
  /** Largest request body the node accepts (uploads.chunkBytes plus room for headers). */
  maxBodyBytes: number;
}

/** One JSON object per served segment; the node reads these fields (front-log-meter.ts). */
export const SEGMENT_LOG_FORMAT =
  '{"t":$msec,"s":$status,"b":$body_bytes_sent,"m":"$request_method","u":"$request_uri","ps":"$http_x_play_session","ip":"$remote_addr","ua":"$http_user_agent","cr":"$sent_http_content_range"}';

// Rendition folders are named by bitrate for audio tracks (64k) and by height for video (720p),
// which gives nginx the content type the node's route would send.
const SEGMENT_KINDS = [
  { suffix: 'k', type: 'audio/mp4' },
  { suffix: 'p', type: 'video/iso.segment' },
];

export function nginxSite(o: NginxSiteOptions): string {
  const q = (s: string) => JSON.stringify(s);
  const proxy = `    proxy_pass http://nineten_node;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $nineten_connection;
    proxy_buffering off;
    proxy_request_buffering off;
    proxy_read_timeout 300s;`;
  const segmentLocations = SEGMENT_KINDS.map(
    ({ suffix, type }) => `  location ~ "^/static/streaming/(?<nineten_track>[0-9a-f-]{36})/(?<nineten_segment>[0-9]+${suffix}/seg-[0-9]+\\.m4s)$" {
    # Opened directly (no existence check first). A missing link or file (404) and a method the
    # static handler refuses (405: OPTIONS) go to the node.
    root ${q(o.mediaRoot)};
    rewrite ^ $nineten_segments/$nineten_track/$nineten_segment break;
    error_page 404 405 = @nineten_node;
    types { }
    default_type ${type};
    etag on;
    # One range per response, as the node's route answers: a multi-range request gets the whole
    # file (200), never multipart/byteranges, whose single Content-Range the meter could not place.
    max_ranges 1;
${corsEntries.map(([k, v]) => `    add_header ${k} ${q(v)} always;`).join('\n')}
    add_header Cache-Control ${q(cacheControlFor('seg.m4s', 'public'))};
    access_log ${q(o.accessLog)} nineten_segments buffer=64k flush=1s;
  }`,
  );
  return `# 9ten behind nginx. Written by \`npm run nginx-site\`; set the node's media.frontAccessLog
# (env MEDIA_FRONT_ACCESS_LOG) to ${o.accessLog} and TRUST_PROXY=true.
# Public segments are read from ${o.mediaRoot}/${PUBLIC_STREAMING_DIR}, which the node keeps;
# the node meters them from the access log. Everything else goes to the node.

log_format nineten_segments escape=json '${SEGMENT_LOG_FORMAT}';

# Only anonymous GETs are served from disk: a request with credentials, a preflight or a HEAD
# goes to the node (a path that does not exist makes try_files fall through).
map "$request_method:$http_authorization" $nineten_segments {
  "GET:" /${PUBLIC_STREAMING_DIR};
  default /nineten-ask-the-node;
}

map $http_upgrade $nineten_connection {
  default upgrade;
  "" "";
}

upstream nineten_node {
  server ${new URL(o.nodeOrigin).host};
  keepalive 64;
}

server {
  listen ${o.listen};
  server_name ${o.serverName};
  client_max_body_size ${o.maxBodyBytes};

${segmentLocations.join('\n\n')}

  location @nineten_node {
${proxy.replace('proxy_pass http://nineten_node;', 'proxy_pass http://nineten_node$request_uri;')}
  }

  location / {
${proxy}
  }
}
`;
}
