"""Getting an appointment ready: pre-op checklist, confirmation, insurance
re-checks and eligibility answers, and recording sent reminders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Unpack

from services.access.domainmodel import Appointment
from services.access.eligibility import EligibilityChecker
from services.application import HospitalBase, Idempotency, Outcome
from services.errors import InvalidTransition, PayerUnavailable
from services.recording import Meta


class PreparationCommands(HospitalBase):
    def _on_appointment(
        self, meta: Meta, appointment_id: str, act: Callable[[Appointment], None], **idem: Unpack[Idempotency]
    ) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)  # type: ignore[attr-defined]
            act(appointment)
            return appointment_id, [appointment]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def complete_checklist_item(
        self, meta: Meta, appointment_id: str, item: str, note: str = "", **idem: Unpack[Idempotency]
    ) -> Outcome:
        return self._on_appointment(meta, appointment_id, lambda a: a.complete_checklist_item(item, note, meta), **idem)

    def confirm_appointment(self, meta: Meta, appointment_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._on_appointment(meta, appointment_id, lambda a: a.confirm(meta), **idem)

    def require_insurance_recheck(
        self, meta: Meta, appointment_id: str, reason: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        return self._on_appointment(meta, appointment_id, lambda a: a.need_recheck(reason, meta), **idem)

    def record_reminder(
        self,
        meta: Meta,
        appointment_id: str,
        lead_minutes: int,
        channel: str,
        message_id: str,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        return self._on_appointment(
            meta, appointment_id, lambda a: a.record_reminder(lead_minutes, channel, message_id, meta), **idem
        )

    def check_eligibility(
        self, meta: Meta, appointment_id: str, checker: EligibilityChecker, **idem: Unpack[Idempotency]
    ) -> Outcome | None:
        """Ask `checker` about the pending coverage and record its answer, as
        the caller in `meta`. Returns None when the checker leaves it to a
        person (manual verification). A payer that gives no usable answer is
        recorded as a failed check with the reason, then `PayerUnavailable`
        is raised so the caller hears it too."""
        appointment = self.appointment(meta.facility_id, appointment_id)  # type: ignore[attr-defined]
        if appointment.insurance != "requested" or appointment.coverage is None:
            raise InvalidTransition(
                "no insurance verification is pending for this appointment", insurance=appointment.insurance
            )
        reference = f"{meta.facility_id}/{appointment_id}"
        try:
            answer = checker.check(
                appointment.coverage, appointment.start.date(), getattr(appointment, "patient", None), reference
            )
        except PayerUnavailable as unavailable:
            reason = unavailable.message

            def failed(a: Appointment) -> None:
                a.record_verification(False, reason, meta, method="fhir")

            self._on_appointment(meta, appointment_id, failed, **idem)
            unavailable.details.update(appointment_id=appointment_id, recorded="InsuranceVerificationFailed")
            raise
        if answer is None:
            return None

        def record(a: Appointment) -> None:
            a.record_verification(answer.verified, answer.detail, meta, method=answer.method)

        return self._on_appointment(meta, appointment_id, record, **idem)
