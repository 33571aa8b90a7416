// Preloaded into the suites' Node.js process by the Go runner
// (compliancetest.go): http requests to "localhost" skip the DNS lookup.
//
// node-fetch opens a new connection for each request, and Node resolves
// "localhost" for each on libuv's thread pool; on a loaded machine the
// lookups end in any order, so of two requests sent 5 ms apart the second
// can be written first. The Engine.IO suite's "closes the session upon
// duplicate poll requests" counts on that order. With the address known,
// each request connects in the order it was made.
import http from "node:http";
import dns from "node:dns";

function lookup(hostname, options, callback) {
  if (hostname !== "localhost") {
    return dns.lookup(hostname, options, callback);
  }
  const address = "127.0.0.1";
  process.nextTick(() =>
    options.all
      ? callback(null, [{ address, family: 4 }])
      : callback(null, address, 4),
  );
}

http.globalAgent = new http.Agent({ keepAlive: true, lookup });
