"""Named SQL patterns: Jinja SQL templates with a YAML header, overridable from the user's folders."""
