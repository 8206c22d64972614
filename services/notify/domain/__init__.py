"""Pure rules of notify: which notices exist, who gets them, when, and how they read. No I/O."""
