"""Request shapes for corrections of receipts and kitchen uses (canteens.corrections)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

Amount = Field(ge=0, max_digits=15, decimal_places=3)
Reason = Field(min_length=1, max_length=500, description="Why the record was wrong (required; kept on the record "
                                                         "and in its custody event)")


class ReceiptCorrection(BaseModel):
    """What the receipt should have said: the whole new quantities, not the difference."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "accepted_quantity": "480", "rejected_quantity": "20", "unit": "kg",
        "rejection_reason": "两袋破损", "reason": "验收时少记了两袋破损拒收",
    }]})

    accepted_quantity: Decimal = Amount
    rejected_quantity: Decimal = Amount
    unit: str = Field(min_length=1, max_length=10)
    rejection_reason: str | None = Field(
        default=None, max_length=500, description="Why goods were rejected; omitted: the corrected receipt's")
    reason: str = Reason


class UseCorrection(BaseModel):
    """What the use should have said; 0 means the use did not happen."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "quantity": "10.5", "unit": "kg", "reason": "称重时多记了 2 kg",
    }]})

    quantity: Decimal = Amount
    unit: str = Field(min_length=1, max_length=10)
    reason: str = Reason
