import pandas as pd

from evalharness.cli import main


def test_score_csv_and_jsonl(tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"question": ["Capital of France?", "Say hi"], "answer": ["Paris.", ""],
                  "gold": ["Paris", "hi"]}).to_csv(src, index=False)
    out = tmp_path / "out.jsonl"
    rc = main(["score", "--scorer", "factual", "--scorer", "safety", "--input", str(src),
               "--prompt-column", "question", "--output-column", "answer", "--reference-column", "gold",
               "--out", str(out)])
    assert rc == 0
    df = pd.read_json(out, lines=True)
    assert list(df["factual"]) == [1.0, 0.0]
    assert list(df["safety_label"]) == ["safe", "safe"]
    assert "factual_label" not in df.columns
    assert main(["score", "--scorer", "factul", "--input", str(src), "--out", str(out)]) == 2
    assert "Did you mean: factual" in capsys.readouterr().err
    assert main(["score", "--scorer", "factual", "--input", str(src), "--out", str(out)]) == 2
    assert "no column 'prompt'" in capsys.readouterr().err
