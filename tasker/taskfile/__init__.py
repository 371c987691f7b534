"""The task-file format: a pure lexer (`lexer`), global variables (`globalvars`), task blocks
(`blocks`, `fields`) and the parser (`parser.parse_workflow`) that builds a `Workflow`.
`fileargs` (the argument header) belongs to the CLI side."""
