"""Rate-limit counters, in the database that every web process shares."""

from django.db import models


class RateCounter(models.Model):
    """Hits of one rate limit (scope and client address, or account) in one fixed window.

    Incremented by a single INSERT … ON CONFLICT … RETURNING statement (tipiportal.network), so that
    parallel requests each see their own count: no read-then-write race.
    """

    # sha256 of scope and value: no address or username kept in clear.
    key = models.CharField(max_length=64)
    window_start = models.BigIntegerField()  # seconds since the epoch
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_one_per_window")]
        verbose_name = "compteur de limite"

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.window_start}: {self.count}"
