#!/usr/bin/env node
"use strict";
// Node 22.1+ keeps compiled code between runs (in the OS temp folder), which shortens start-up.
require("node:module").enableCompileCache?.();
require("../dist/src/cli/main.js").main(process.argv.slice(2));
