"""A kind of import on the toolkit: the whole importer of a fine-like file."""

from decimal import Decimal, InvalidOperation

from kefu.imports.kinds import import_kind
from kefu.imports.rows import Parsed, Row, RowImporter, Stored

DEDUCTIONS = import_kind("sample_deductions", "Deductions")


class DeductionImporter(RowImporter):
    kind = DEDUCTIONS
    fields = {"number": "编号", "amount": "金额"}
    required = ("number", "amount")

    def begin(self, batch):
        self.seen = set()

    def parse(self, row: Row):
        number = row.get("number")
        if not number:
            raise ValueError(f"{row.header('number')} is empty")
        try:
            amount = Decimal(row.get("amount")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError(f"the amount {row.get('amount')} is not a number") from None
        return number, amount

    def store(self, batch, rows: list[Parsed], stored: Stored) -> None:
        from kefu.tests.sampleapp.models import Deduction

        numbers = [r.value[0] for r in rows]
        known = set(Deduction.objects.filter(point=batch.point, number__in=numbers)
                    .values_list("number", flat=True))
        new = []
        for r in rows:
            number, amount = r.value
            if number in known or number in self.seen:
                stored.duplicates += 1
                continue
            self.seen.add(number)
            new.append(Deduction(point=batch.point, number=number, amount=amount))
        Deduction.objects.bulk_create(new)
        stored.created += len(new)
