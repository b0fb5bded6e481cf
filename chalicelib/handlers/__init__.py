"""HTTP and event handlers, one blueprint per capability. A handler parses input, calls one service
function and maps the result (or a typed domain error) to a response. No business rule lives here."""
