"""notify: rules, Indonesian templates, e-mail / webhook / SMS channels, reminders and the delivery log."""
