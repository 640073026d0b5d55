"""What is checked: implementations as namespaces, their binding to the registry, the
built-in targets and isolated third-party candidates."""
