"""What the simulated services share besides the front: the movable clock, real label images in
every format, and the words of the control API (``forward``, ``money``, the deprecated names)."""
