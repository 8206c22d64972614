"""The registry's rules, free of I/O: what makes an institution, a formation, a worker or an import row valid."""
