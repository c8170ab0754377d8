from django.db import models


class Deduction(models.Model):
    """A sum withheld from a point, by number: the shape of a fine."""

    point = models.ForeignKey("orgs.NetworkPoint", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["point", "number"], name="sample_deduction_once")]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"
