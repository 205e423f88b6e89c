"""People who use Tenure and own customers."""
