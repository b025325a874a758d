#!/usr/bin/env node
"use strict";
// Node 22.1+ keeps compiled code between runs (in the OS temp folder), which shortens start-up.
require("node:module").enableCompileCache?.();
// Node 20 has no `navigator`. node-postgres, looking for a Cloudflare Worker as it loads, then
// builds a fetch Response, which loads Node's whole fetch implementation: ~17 ms of every start.
// A stand-in navigator (not Cloudflare's) while the CLI's modules load skips that; the answer is
// the same, and the stand-in is gone before anything runs. (It works because main.js loads pg
// as it loads, through db/embedded.ts; were pg loaded later, the 17 ms would come back.)
const standIn = typeof globalThis.navigator === "undefined";
if (standIn) globalThis.navigator = { userAgent: "Node.js" };
let main;
try {
  main = require("../dist/src/cli/main.js").main;
} finally {
  if (standIn) delete globalThis.navigator;
}
main(process.argv.slice(2));
