"""The auditor's toolkit: search the log, export it for checking elsewhere, sign its head, and see
a whole programme as it stood on a date. The recipe an outside verifier follows is docs/AUDIT.md.
Who may use which part is the access policy's: audit.verify, audit.snapshot, audit.search."""
