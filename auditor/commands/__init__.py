"""The commands, each a short linear script over the stages: ``run``, ``audit``, ``fix`` and
``migrate`` (which composes the other three's results). ``auditor.cli`` parses the arguments and
turns exceptions into exit codes."""
