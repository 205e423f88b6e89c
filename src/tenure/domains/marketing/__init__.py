"""Marketing spend by channel, the cost side of CAC and ROI."""
