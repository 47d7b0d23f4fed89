"""Stage clocks: working days from the capture to each stage, against each court's targets (偏离预警)."""
