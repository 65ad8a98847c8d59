// STUB: replaced by the real envelope.js from the web-front branch.
