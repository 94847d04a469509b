// prebuild: copies the shared money split (../shared/money/*.ts) into src/vendor/money/ so the
// chaincode package deploys alone. Outside the 9ten checkout (no ../shared) the committed copy is used.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const from = path.resolve(__dirname, '../../shared/money');
const to = path.resolve(__dirname, '../src/vendor/money');
if (!fs.existsSync(from)) {
  console.log(`vendor-money: ${from} not found, keeping the committed copy in ${to}`);
  process.exit(0);
}
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from).filter((n) => n.endsWith('.ts')).sort()) {
  fs.copyFileSync(path.join(from, name), path.join(to, name));
  console.log(`vendor-money: ${name}`);
}
