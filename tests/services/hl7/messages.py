"""Small, readable HL7 v2 messages for rule tests (the samples cover real-world shape)."""

from __future__ import annotations


def pv1(visit: str = "V1", bed: str = "ED^^1", prior: str = "", patient_class: str = "E", disposition: str = "") -> str:
    fields = ["PV1", "1", patient_class, bed, "", "", prior] + [""] * 34
    fields[19], fields[36] = visit, disposition
    return "|".join(fields).rstrip("|")


def adt(
    trigger: str,
    control: str = "C1",
    *,
    visit: str = "V1",
    bed: str = "ED^^1",
    prior: str = "",
    disposition: str = "",
    patient_class: str = "E",
    evn: str | None = "20260302080000-0600",
    version: str = "2.5",
    processing: str = "P",
    kind: str = "ADT",
    birth: str = "19800101",
    msh7: str = "20260302080000-0600",
) -> str:
    lines = [
        f"MSH|^~\\&|EPIC|FAC1|EDFLOW|FAC1|{msh7}||{kind}^{trigger}^{kind}_{trigger}|{control}|{processing}|{version}"
    ]
    if evn is not None:
        lines.append(f"EVN|{trigger}|{evn}")
    lines.append(f"PID|1||MRN1^^^H^MR||DOE^JANE||{birth}|F")
    lines.append(pv1(visit, bed, prior, patient_class, disposition))
    return "\r".join(lines) + "\r"


def siu(
    trigger: str,
    control: str = "S1",
    *,
    appointment: str = "APT1",
    start: str = "202603100900-0600",
    end: str = "202603100930-0600",
    provider: str = "DR7",
    in1: str | None = None,
    tq1: bool = True,
    ais: str = "",
) -> str:
    lines = [
        f"MSH|^~\\&|SCHED|FAC1|EDFLOW|FAC1|20260301120000-0600||SIU^{trigger}^SIU_{trigger}|{control}|P|2.5",
        f"SCH|P{appointment}|{appointment}||||ROUTINE|FOLLOWUP^ED follow-up|NORMAL|30|min",
    ]
    if tq1:
        lines.append(f"TQ1|||||||{start}|{end}")
    lines.append("PID|1||MRN1^^^H^MR||DOE^JANE||19800101|F")
    if ais:
        lines.append(ais)
    lines.append("AIL|1||CLINIC-A^R1^^FAC1")
    lines.append(f"AIP|1||{provider}^WHO^DR")
    if in1 is not None:
        lines.append(in1)
    return "\r".join(lines) + "\r"


def batch(*messages: str) -> str:
    return "BHS|^~\\&|EPIC|FAC1\r" + "".join(messages) + f"BTS|{len(messages)}\r"
