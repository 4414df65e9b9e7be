"""Benchmark tasks on the tiny random Gemma: log-likelihoods equal a plain unbatched forward pass,
lm-eval's choices follow them exactly, subsets keep the label balance, and a user's lm-eval task
YAML with local data runs unchanged."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch

from evalharness.runtimes.transformers import load_backend
from evalharness.tasks.run import TaskRequest, build_task, builtin_tasks, choose_items, score_task


@pytest.fixture(scope="module")
def backend():
    b = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    yield b
    b.close()


def _plain_loglikelihood(model, ctx: list[int], cont: list[int]) -> tuple[float, bool]:
    """One sequence, no batching, no padding, every position's logits."""
    ids = torch.tensor([ctx + cont[:-1]])
    with torch.inference_mode():
        logp = model(input_ids=ids).logits[0, len(ctx) - 1:].float().log_softmax(-1)
    target = torch.tensor(cont)
    return float(logp.gather(1, target[:, None]).sum()), bool((logp.argmax(-1) == target).all())


def test_batched_loglikelihood_equals_plain_forward(backend):
    scorer = backend.task_scorer()
    texts = [("The cat sat on the", " mat"), ("Question: what is two plus two?\nAnswer:", " four, of course"),
             ("A", " very long continuation that spans many tokens of text here"), ("Hello", " world")]
    pairs = []
    for ctx, cont in texts:
        whole, head = scorer.encode(ctx + cont), scorer.encode(ctx)
        pairs.append((head, whole[len(head):]))
    got = scorer.loglikelihood(pairs)
    for (ctx, cont), (value, greedy) in zip(pairs, got, strict=True):
        expected, expected_greedy = _plain_loglikelihood(backend.model, ctx, cont)
        assert value == pytest.approx(expected, abs=1e-3)
        assert greedy == expected_greedy


def _sliding_gemma(tokenizer):
    """A random 2-layer Gemma 3 whose first layer sees only 16 positions: a shared context of a few
    hundred tokens runs past its window, as ten-shot prompts run past the 270M's 512."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=32, max_position_embeddings=2048,
                              sliding_window=16, layer_types=["sliding_attention", "full_attention"], pad_token_id=0)
    return Gemma3ForCausalLM(config).eval()


@pytest.mark.parametrize("window_model", [False, True])
def test_choices_sharing_a_long_context_equal_plain_forwards(backend, window_model):
    from evalharness.tasks import torch_scorer

    base = backend.task_scorer()
    model = _sliding_gemma(backend.tokenizer) if window_model else backend.model
    scorer = torch_scorer.TorchScorer(model, backend.tokenizer, "cpu", base.eos_ids)
    shots = "".join(f"Example {i}: the {i}th thing follows the {i - 1}th one.\n" for i in range(1, 9))
    context = scorer.encode(shots + "Question: what comes next?")
    endings = ["!", " the ninth thing, which follows the eighth", " nothing at all", " nine"]
    pairs = [(context, scorer.encode(e, add_special_tokens=False)) for e in endings]
    pairs.append((scorer.encode("Short"), scorer.encode(" one", add_special_tokens=False)))
    groups, alone = torch_scorer._shared_contexts(pairs, scorer.max_length)
    assert groups == [[0, 1, 2, 3]] and alone == [4]  # the short question is not worth a shared pass
    for (ctx, cont), (value, greedy) in zip(pairs, scorer.loglikelihood(pairs), strict=True):
        expected, expected_greedy = _plain_loglikelihood(model, ctx, cont)
        assert value == pytest.approx(expected, abs=1e-3)
        assert greedy == expected_greedy


def _write_task(folder: Path, rows: list[dict]) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = folder / "mytask.yaml"
    path.write_text(textwrap.dedent("""
        task: my_choice_task
        dataset_path: json
        dataset_kwargs:
          data_files:
            test: data/items.jsonl
        output_type: multiple_choice
        test_split: test
        doc_to_text: "Q: {{question}}\\nA:"
        doc_to_target: answer
        doc_to_choice: "{{options}}"
        metric_list:
          - metric: acc
            aggregation: mean
            higher_is_better: true
        """).lstrip())
    return path


ROWS = [{"question": q, "options": opts, "answer": a} for q, opts, a in [
    ("What colour is the sky?", ["blue", "green", "red"], 0),
    ("How many legs has a dog?", ["two", "four", "six"], 1),
    ("What is ice made of?", ["fire", "sand", "water"], 2),
    ("Which is a fruit?", ["apple", "brick"], 0),
    ("Which one flies?", ["stone", "bird"], 1),
]]


def test_a_users_lm_eval_task_scores_each_item_by_its_best_choice(backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)  # lm-eval reads data_files from the working folder; ours finds them anyway
    path = _write_task(tmp_path, ROWS)
    scorer = backend.task_scorer()
    result = score_task(scorer, TaskRequest(path))
    assert result.error is None, result.error
    assert result.task == "my_choice_task" and result.subset == "all" and len(result.items) == 5
    for item, row in zip(result.items, ROWS, strict=True):
        ctx = f"Q: {row['question']}\nA:"
        scores = []
        for option in row["options"]:
            whole, head = scorer.encode(ctx + " " + option), scorer.encode(ctx)
            scores.append(_plain_loglikelihood(backend.model, head, whole[len(head):])[0])
        best = max(range(len(scores)), key=scores.__getitem__)
        assert item.values["acc"] == float(best == row["answer"])
    acc = result.metric("acc")
    assert acc.value == pytest.approx(sum(it.values["acc"] for it in result.items) / 5)
    assert acc.ci_low <= acc.value <= acc.ci_high and acc.n == 5
    assert result.seconds is not None and result.requests == 13


def test_a_stratified_subset_keeps_the_label_balance():
    task = build_task(TaskRequest(builtin_tasks()["piqa"]))
    docs = list(task.eval_docs)
    indices, how = choose_items(task, 200, seed=7)
    assert len(indices) == 200 and len(set(indices)) == 200 and "stratified" in how
    share_all = sum(1 for d in docs if d["label"] == 1) / len(docs)
    share = sum(1 for i in indices if docs[i]["label"] == 1) / 200
    assert abs(share - share_all) <= 1 / 200 + 1e-9
    assert choose_items(task, 200, seed=7)[0] == indices and choose_items(task, 200, seed=8)[0] != indices
    assert choose_items(task, None, seed=7) == (list(range(len(docs))), "all")


def test_a_free_text_target_is_drawn_plainly():
    task = build_task(TaskRequest(builtin_tasks()["lambada_openai"]))
    indices, how = choose_items(task, 30, seed=1)
    assert len(set(indices)) == 30 and "random" in how
    assert max(indices) > len(list(task.eval_docs)) // 2  # spread over the split, not its first rows


def test_a_task_that_cannot_be_built_is_reported_not_raised(backend, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: broken\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: nowhere.jsonl\n"
                   "output_type: multiple_choice\ntest_split: test\ndoc_to_text: x\ndoc_to_target: 0\n"
                   "doc_to_choice: [a, b]\n")
    result = score_task(backend.task_scorer(), TaskRequest(bad))
    assert result.error is not None and result.items == []


def test_plan_states_what_the_item_counts_can_detect():
    from evalharness.suite.tasks import TaskSpec
    from evalharness.tasks.plan import plan_task

    p = plan_task(TaskSpec(task="piqa", limit=200), full=False)
    assert (p.task, p.items, p.docs_total) == ("piqa", 200, 1838)
    assert p.half_width == pytest.approx(1.959964 * (0.25 / 200) ** 0.5)
    assert p.detectable[0.05] == pytest.approx(2.80159 * (0.05 / 200) ** 0.5, rel=1e-4)
    assert plan_task(TaskSpec(task="piqa", limit=200), full=True).items == 1838


def test_batched_generation_equals_one_at_a_time(backend):
    scorer = backend.task_scorer()
    contexts = ["Once upon a time", "The capital of France is a city that", "Hi", "A B C D E F G H I J K L M N"]
    together = scorer.generate_many(contexts, ["\n"], 6)
    alone = [scorer.generate(c, ["\n"], 6) for c in contexts]
    assert together == alone and all(isinstance(t, str) for t in together)
