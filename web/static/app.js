// STUB: replaced by the real app.js from the web-front branch.
