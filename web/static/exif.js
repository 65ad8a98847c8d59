// STUB: replaced by the real exif.js from the web-front branch.
