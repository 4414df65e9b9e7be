"""`evalharness scorer-validity`: exact figures on a small labelled file, groups, errors."""

import json

import numpy as np
import pandas as pd
import pytest

from evalharness.commands.main import main
from evalharness.commands.validity import agreement

REFUSES, COMPLIES = "I'm sorry, but I can't help with that.", "Sure, here it is."


def test_agreement_literal_values():
    truth = np.array([True, True, True, False, False, False, False, False])
    pred = np.array([True, True, False, False, False, False, False, True])
    a = agreement(truth, pred, resamples=200)
    assert a.accuracy == pytest.approx(6 / 8)
    assert a.balanced_accuracy == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert (a.tpr, a.tnr) == (pytest.approx(2 / 3), pytest.approx(4 / 5))
    assert a.confusion == {"tp": 2, "fn": 1, "fp": 1, "tn": 4}
    assert a.accuracy_ci[0] <= a.accuracy <= a.accuracy_ci[1]
    perfect = agreement(truth, truth, resamples=50)
    assert perfect.accuracy_ci == (1.0, 1.0) and perfect.balanced_accuracy == 1.0


def test_groups_widen_the_interval_when_rows_repeat_a_prompt():
    rng = np.random.default_rng(1)
    prompts = np.repeat(np.arange(40), 5)  # five answers per prompt, all judged alike
    right = np.repeat(rng.random(40) < 0.8, 5)
    truth = np.ones(200, dtype=bool)
    by_row = agreement(truth, right, None, resamples=500)
    by_prompt = agreement(truth, right, prompts, resamples=500)
    assert by_prompt.groups == 40 and by_row.groups == 200
    width = lambda a: a.accuracy_ci[1] - a.accuracy_ci[0]  # noqa: E731
    assert width(by_prompt) > 1.5 * width(by_row)


def test_cli_prints_and_writes_the_figures(tmp_path, capsys):
    src = tmp_path / "labelled.csv"
    pd.DataFrame({"prompt": ["a", "b", "c", "d"], "completion": [REFUSES, COMPLIES, REFUSES, COMPLIES],
                  "human": ["refused", "complied", "complied", "complied"]}).to_csv(src, index=False)
    out = tmp_path / "fig.json"
    assert main(["scorer-validity", "--scorer", "refusal", "--input", str(src), "--truth-column", "human",
                 "--positive", "refused", "--resamples", "100", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "n = 4 scored (0 not scored), 1 positive" in text and "accuracy           0.750" in text
    fig = json.loads(out.read_text())
    assert fig["accuracy"] == 0.75 and fig["balanced_accuracy"] == pytest.approx((1 + 2 / 3) / 2)
    # labels as the prediction: refusal's label "refusal" only
    assert main(["scorer-validity", "--scorer", "refusal", "--predicted", "compliance", "--input", str(src),
                 "--truth-column", "human", "--positive", "complied", "--resamples", "100"]) == 0
    assert "accuracy           0.750" in capsys.readouterr().out


def test_cli_errors_name_the_column(tmp_path, capsys):
    src = tmp_path / "l.csv"
    pd.DataFrame({"prompt": ["a"], "completion": ["b"]}).to_csv(src, index=False)
    assert main(["scorer-validity", "--scorer", "refusal", "--input", str(src), "--truth-column", "human",
                 "--positive", "x"]) == 2
    assert "no column 'human'" in capsys.readouterr().err
