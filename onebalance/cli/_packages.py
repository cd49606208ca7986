"""The packages of a shipment on the command line: where ``ship buy`` writes each package's label, and
how ``buy``, ``void`` and ``track`` show a shipment of several packages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onebalance.shipments import Label, VoidResult

__all__ = ["document_files", "label_files", "package_lines", "packages_json", "void_subject"]


def label_files(label: Label, label_out: Path) -> list[Path]:
    """Where each package's label goes: the first at ``label_out``, the next ones beside it with
    ``-2``, ``-3``... before the suffix (``order-7.gif``, ``order-7-2.gif``, ``order-7-3.gif``)."""
    return [label_out] + [
        label_out.with_name(f"{label_out.stem}-{n}{label_out.suffix}") for n in range(2, len(label.packages) + 1)
    ]


def document_files(label: Label, label_out: Path) -> list[Path]:
    """Where each document that came with the label goes: beside the label, named by its kind and format
    (``order-7.gif.customs_form.pdf``); a second one of a kind gets ``-2`` (``...commercial_invoice-2.pdf``)."""
    files: list[Path] = []
    for document in label.documents:
        kind = document.kind.value
        same = sum(1 for f in files if f.name.startswith(f"{label_out.name}.{kind}"))
        files.append(
            label_out.with_name(f"{label_out.name}.{kind}{f'-{same + 1}' if same else ''}.{document.format.lower()}")
        )
    return files


def packages_json(label: Label, files: list[Path] | None = None) -> list[dict[str, Any]]:
    return [
        {"tracking_number": p.tracking_number, "voided": p.voided, "bytes": len(p.label_image)}
        | ({"label_file": str(files[i])} if files else {})
        for i, p in enumerate(label.packages)
    ]


def package_lines(label: Label) -> list[str]:
    """One line per package of a shipment of several (none for a one-package label)."""
    if len(label.packages) < 2:
        return []
    return [
        f"{f'package {i}/{len(label.packages)}':<18}{p.tracking_number}" + ("  (voided)" if p.voided else "")
        for i, p in enumerate(label.packages, start=1)
    ]


def void_subject(label: Label, result: VoidResult, package: str | None) -> str:
    """What was voided: ``UPS label 1Z…``, ``UPS package 1Z… of shipment 1Z…`` or ``UPS shipment 1Z…
    (3 packages: …)``."""
    name = label.carrier.display_name
    if package is not None and len(label.packages) > 1:
        return f"{name} package {result.tracking_number} of shipment {label.tracking_number}"
    if len(label.packages) > 1:
        numbers = ", ".join(label.tracking_numbers)
        return f"{name} shipment {label.tracking_number} ({len(label.packages)} packages: {numbers})"
    return f"{name} label {result.tracking_number or label.carrier_reference}"
