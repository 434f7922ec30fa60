"""`bigfish classify` and `bigfish ml train|evaluate` (spec/cli.md): thin shells over bigfish.ml."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer

from bigfish.cli._app import app, command_store, fail, progress_bar
from bigfish.cli._lines import json_line, numbered_lines, read_source, split_lines
from bigfish.errors import BigfishError, InputError

ml_app = typer.Typer(
    help="Train and evaluate the scam classifier.\n\nExample: bigfish ml evaluate",
    no_args_is_help=True,
)
app.add_typer(ml_app, name="ml")


def read_texts(data: bytes, source: str) -> list[str | InputError]:
    """Each input's text, or the InputError that names its line: JSON lines with a ``text``
    string when the first line is such an object, else one text per line (a text may start
    with "{"). Blank lines are no input; a line that is not UTF-8 is an error in its place."""
    numbered = [
        (n, line if isinstance(line, InputError) else line.strip())
        for n, line in numbered_lines(split_lines(data), source)
        if isinstance(line, InputError) or line.strip()
    ]
    first = next((line for _, line in numbered if isinstance(line, str)), None)
    if first is None or not _json_text(first):
        return [line for _, line in numbered]
    out: list[str | InputError] = []
    for number, line in numbered:
        if isinstance(line, InputError):
            out.append(line)
            continue
        try:
            record: Any = json_line(line, source, number)
        except InputError as error:
            out.append(error)
            continue
        text = record.get("text") if isinstance(record, dict) else None
        if isinstance(text, str):
            out.append(text)
        else:
            out.append(
                InputError("expected a string 'text'", file=source, line=number, field="text")
            )
    return out


def _json_text(line: str) -> bool:
    """Whether LINE is a JSON object with a string ``text`` (the input is JSON lines)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and isinstance(record.get("text"), str)


@app.command()
def classify(
    input_file: Path | None = typer.Option(
        None, "--input", help="File to read (default stdin): one text per line or JSON lines."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per input, same order."),
) -> None:
    """Classify messages as scam, spam or legit, with the scam probability and type.

    The input is JSON lines with "text" when its first line is such an object, else one text
    per line. Each input gets one output line, in order; an input that cannot be read gets
    {"line": N, "error": …} (and a message on stderr), the others are still classified, and the
    exit status is 1.

    Example: echo 'บัญชีของท่านถูกระงับ กรุณายืนยันตัวตนที่ lin.ee/kbank-th' | bigfish classify --json
    """
    from bigfish.ml import load_classifier

    source = str(input_file) if input_file else "<stdin>"
    try:
        inputs = read_texts(read_source(input_file, sys.stdin.buffer), source)
        texts = [t for t in inputs if isinstance(t, str)]
        verdicts = iter(load_classifier().classify_batch(texts))
    except OSError as error:
        raise fail(f"{source}: {error.strerror}") from None
    except BigfishError as error:
        raise fail(error) from None
    for item in inputs:
        if isinstance(item, InputError):
            typer.echo(f"error: {item}", err=True)
            if as_json:
                typer.echo(json.dumps({"line": item.line, "error": item.message}))
            else:
                typer.echo(f"{'error':<6} {'':>6}  {'-':<24} line {item.line}: {item.message}")
            continue
        result = next(verdicts)
        if as_json:
            document = {
                "label": result.label,
                "scam_probability": result.scam_probability,
                "scam_type": result.scam_type,
                "scam_type_probability": result.scam_type_probability,
            }
            typer.echo(json.dumps(document, ensure_ascii=False))
        else:
            kind = result.scam_type or "-"
            short = item if len(item) <= 60 else item[:57] + "..."
            typer.echo(f"{result.label:<6} {result.scam_probability:>6.3f}  {kind:<24} {short}")
    if any(isinstance(item, InputError) for item in inputs):
        raise typer.Exit(1)


@ml_app.command("train")
def train_command(
    data: Path = typer.Option(Path("data/messages"), help="Directory of the shared data sets."),
    extra: list[Path] = typer.Option([], "--extra", help="Operator file: label TAB text."),
    out: Path = typer.Option(None, help="Output directory (default: the shipped model's)."),
    seed: int = typer.Option(20251217, help="Seed of the held-out split."),
) -> None:
    """Rebuild the scam classifier from the shared data (and operator files), fixed by SEED.

    Example: bigfish ml train --data data/messages --extra our-labels.tsv --out ./model
    """
    from bigfish.ml import train
    from bigfish.ml.model import default_model_path

    try:
        result = train(data, out or default_model_path().parent, extra=extra, seed=seed)
    except BigfishError as error:
        raise fail(error) from None
    typer.echo(f"trained on {result.train_size} messages ({result.test_size} held out)")
    typer.echo(f"wrote {result.model_path}")


@ml_app.command("suggest")
def suggest_command(
    top: int = typer.Option(10, "--top", min=1, max=100, help="Suggestions kept per report."),
    min_score: float = typer.Option(
        0.5, "--min-score", min=0.0, max=1.0, help="The lowest score kept (cosine, 0-1)."
    ),
    method: str = typer.Option("char-ngram", "--method", help="char-ngram, or e5 (ml extra)."),
    everything: bool = typer.Option(
        False, "--all", help="Compare every narrative with all and count the idf anew."
    ),
) -> None:
    """Find reports whose narratives may tell the same script: possible links with a score,
    shown to analysts beside each report (GET /api/v1/similar), never merged into a network.

    Compares the narratives new or changed since the last run with all (work grows with the
    new ones times all), with the idf counted at the last full run. --all compares every
    narrative with every other (work grows with their square) and counts the idf anew; so do
    the first run, another --top, --min-score or --method, and a node grown past twice the
    narratives of the last full run.

    Example: bigfish ml suggest --top 10 --min-score 0.5
    """
    from bigfish.suggestions import find

    try:
        store = command_store()
        with progress_bar(0, "narratives") as advance:
            result = find(
                store,
                top_k=top,
                min_score=min_score,
                method=method,
                full=everything,
                progress=advance,
            )
    except BigfishError as error:
        raise fail(error) from None
    typer.echo(
        f"{result.narratives:,} narratives read, {result.suggestions:,} same-script suggestions"
        " kept (possible links for analysts, never merged into a network)"
    )
    kind = "a full run" if result.full else "new or changed since the last run, or lost a pair"
    typer.echo(f"{result.compared:,} narratives compared with all ({kind})")


@ml_app.command("evaluate")
def evaluate_command(
    data: Path = typer.Option(Path("data/messages"), help="Directory of the shared data sets."),
    model: Path = typer.Option(None, help="Model .npz (default: the shipped model)."),
    out: Path = typer.Option(Path("docs/ml-evaluation.md"), help="Markdown report to write."),
    seed: int = typer.Option(20251217, help="Seed of the held-out split."),
) -> None:
    """Evaluate on the held-out split against the char n-gram SVM baseline; write Markdown.

    Example: bigfish ml evaluate --data data/messages --out docs/ml-evaluation.md
    """
    from bigfish.ml import evaluate, load_classifier, render_markdown

    try:
        result = evaluate(data, classifier=load_classifier(model), seed=seed)
    except BigfishError as error:
        raise fail(error) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(result), encoding="utf-8")
    for d in result.datasets:
        target = "" if math.isnan(d.target) else f", target {d.target:.3f}"  # seed-en has none
        typer.echo(
            f"{d.dataset}: {d.task} {d.task_f1:.4f} (95 % {d.task_f1_interval[0]:.4f}–"
            f"{d.task_f1_interval[1]:.4f}; baseline {d.baseline_f1:.4f}{target}), "
            f"Brier scam {d.brier_scam:.4f}"
        )
    typer.echo(f"wrote {out}")
