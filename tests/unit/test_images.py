"""Image cases: content parts in suites and case files, the tiny Gemma 3 vision model (whose
logits must depend on the image), text-only variants failing clearly, endpoints' image_url."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
import pytest

from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import SuiteError, load_suite

IMAGES = Path(__file__).resolve().parents[2] / "suites" / "images"


def image_case(case_id: str, image: str, text: str = "What shape is this?") -> str:
    return (f"  - id: {case_id}\n    messages: [{{role: user, content: [{{type: image, image: {image}}}, "
            f"{{type: text, text: \"{text}\"}}]}}]\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("red-square.png", "blue-circle.png"):
        shutil.copy(IMAGES / name, tmp_path / name)
    return tmp_path


def tiny_vision_backend():
    from evalharness.runtimes.transformers import load_backend

    return load_backend("tiny-random", "tiny-random-gemma3-vision", None, "fp32", "cpu")


def test_a_different_image_changes_the_logits(folder):
    """A projector that outputs zeros (transformers' initialisation) would make images invisible."""
    import torch

    suite = folder / "s.yaml"
    suite.write_text("name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\ncases:\n"
                     + image_case("red", "red-square.png") + image_case("blue", "blue-circle.png")
                     + image_case("red-again", "red-square.png"))
    cases = {c.id: c for c in load_suite(suite).cases}
    backend = tiny_vision_backend()
    assert backend.accepts_images
    projector = backend.model.model.multi_modal_projector.mm_input_projection_weight
    assert float(projector.detach().abs().max()) > 0
    prompts = {k: backend.encode(c) for k, c in cases.items()}
    assert prompts["red"].ids == prompts["blue"].ids  # the same text: only the pixels differ
    target = [65, 66, 67]
    logp = {k: backend.teacher_forced_logprobs(p, target) for k, p in prompts.items()}
    assert np.abs(logp["red"] - logp["blue"]).max() > 1e-3
    np.testing.assert_allclose(logp["red"], logp["red-again"], atol=1e-6)
    # the image's soft tokens sit inside the prompt, as the processor expanded them
    assert prompts["red"].ids.count(backend.tokenizer.convert_tokens_to_ids("<image_soft_token>")) == 4
    assert torch.is_tensor(prompts["red"].inputs["pixel_values"])
    # a case is processed once per variant, not once per repeat; another case object is not taken for it
    assert backend.encode(cases["red"]) is prompts["red"]
    moved = cases["red"].model_copy(update={"messages": cases["blue"].messages})
    assert backend.encode(moved) is not prompts["red"]
    backend.close()


SUITE = """name: vision
models:
  - {source: tiny-random, id: tiny-random-gemma3-vision, name: vision}
  - {source: tiny-random, id: tiny-random-gemma3, name: text}
quantizations: [fp32, int8-dynamic]
generation: {max_new_tokens: 6}
warmup: 0
repeats: 1
isolation: none
cases:
""" + image_case("red", "red-square.png") + image_case("blue", "blue-circle.png") + """  - id: plain
    prompt: Hello
"""


def test_image_cases_run_quantize_and_take_fidelity_text_only_fails_clearly(folder):
    (folder / "vision.yaml").write_text(SUITE)
    outcome = Runner(load_suite(folder / "vision.yaml"), RunOptions(output_dir=folder / "out")).run(run_id="v1")
    report = load_report(outcome.report_path)
    by_id = {v.id: v for v in report.variants}
    for vid in ("vision/fp32/cpu", "vision/int8-dynamic/cpu"):
        assert by_id[vid].status == "ok", by_id[vid].error
    assert all(s.success for s in report.samples), [s.error for s in report.samples if not s.success]
    fid = by_id["vision/int8-dynamic/cpu"].fidelity
    assert fid.reference == "vision/fp32/cpu" and fid.cases == 3  # image cases are compared too
    for vid in ("text/fp32/cpu", "text/int8-dynamic/cpu"):
        assert by_id[vid].status == "failed"
        assert "reads text only" in by_id[vid].error and "red, blue" in by_id[vid].error
    samples = {(s.variant_id, s.case_id): s for s in report.samples}
    red, blue = samples[("vision/fp32/cpu", "red")], samples[("vision/fp32/cpu", "blue")]
    assert red.prompt == "user: [image: red-square.png] What shape is this?"
    assert red.prompt_tokens == blue.prompt_tokens
    assert red.reuse_key != blue.reuse_key  # same token ids, different pixels


def test_data_urls_and_case_file_images(folder):
    data = base64.b64encode((IMAGES / "red-square.png").read_bytes()).decode()
    (folder / "cases.jsonl").write_text('{"q": "Which colour?", "img": "blue-circle.png"}\n'
                                        '{"q": "Which shape?", "img": "red-square.png"}\n')
    (folder / "s.yaml").write_text(
        "name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\n"
        "case_files: [{path: cases.jsonl, prompt: q, image: img}]\ncases:\n"
        + image_case("inline", f"'data:image/png;base64,{data}'"))
    loaded = load_suite(folder / "s.yaml")
    cases = {c.id: c for c in loaded.cases}
    assert cases["cases-1"].images == (str((folder / "blue-circle.png").resolve()),)
    assert cases["cases-1"].messages[0].text == "Which colour?"
    backend = tiny_vision_backend()
    inline = backend.encode(cases["inline"])
    from_file = backend.encode(cases["cases-2"])
    assert inline.digests == from_file.digests  # the same picture, as a data URL and as a file
    backend.close()


@pytest.mark.parametrize("image,message", [
    ("missing.png", "no such image file"),
    ("../outside.png", "leaves the suite's folder"),
    ("not-an-image.png", "not an image Pillow can read"),
    ("'data:image/png;base64,%%%'", "does not decode"),
    ("'data:text/plain;base64,aGk='", "data:image/<type>;base64"),
])
def test_bad_images_are_suite_errors_with_their_line(folder, image, message):
    (folder / "not-an-image.png").write_text("hello")
    (folder / "s.yaml").write_text("name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\n"
                                   "cases:\n" + image_case("a", image))
    with pytest.raises(SuiteError) as exc:
        load_suite(folder / "s.yaml")
    problems = [str(p) for p in exc.value.problems]
    assert len(problems) == 1 and message in problems[0] and ":5:" in problems[0], problems


def test_images_only_in_user_turns(folder):
    (folder / "s.yaml").write_text(
        "name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\ncases:\n"
        "  - id: a\n    messages:\n      - {role: user, content: hi}\n"
        "      - {role: assistant, content: [{type: image, image: red-square.png}]}\n")
    with pytest.raises(SuiteError) as exc:
        load_suite(folder / "s.yaml")
    assert "images go in user turns" in str(exc.value)


def test_endpoints_get_images_as_image_url_data(folder):
    from evalharness.endpoints.messages import case_messages

    (folder / "s.yaml").write_text("name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\n"
                                   "cases:\n" + image_case("a", "red-square.png", "Describe it"))
    [message] = case_messages(load_suite(folder / "s.yaml").cases[0])
    image, text = message["content"]
    assert text == {"type": "text", "text": "Describe it"}
    assert image["type"] == "image_url"
    prefix = "data:image/png;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix):]) == (IMAGES / "red-square.png").read_bytes()


GEMMA3_LIKE_TEMPLATE = (
    "{{ bos_token }}{%- for message in messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' }}"
    "{%- if message['content'] is string -%}{{ message['content'] | trim }}"
    "{%- else -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}"
    "{%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}{{ '<end_of_turn>\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}")


def test_a_vision_checkpoint_folder_loads_with_its_processor_and_chat_template(folder):
    """As a real Gemma 3 4B folder does: the hf source finds the processor, the processor's
    chat template places the image, and the result equals Gemma's turns built by hand."""
    from evalharness.models.tiny import tiny_gemma3_vision
    from evalharness.runtimes.transformers import load_backend

    model, _, processor = tiny_gemma3_vision()
    processor.chat_template = GEMMA3_LIKE_TEMPLATE
    model.save_pretrained(folder / "ckpt")
    processor.save_pretrained(folder / "ckpt")
    (folder / "s.yaml").write_text("name: s\nmodels: [{source: tiny-random, id: tiny-random-gemma3-vision}]\n"
                                   "cases:\n" + image_case("a", "red-square.png"))
    case = load_suite(folder / "s.yaml").cases[0]
    from_folder = load_backend("hf", str(folder / "ckpt"), None, "fp32", "cpu")
    assert from_folder.accepts_images and from_folder.processor.chat_template
    by_template = from_folder.encode(case)
    by_hand = tiny_vision_backend().encode(case)
    assert by_template.ids == by_hand.ids
    assert by_template.digests == by_hand.digests


def test_the_image_encoder_is_not_read_per_decoded_token():
    from evalharness.measure.footprint import footprint_bytes
    from evalharness.measure.roofline import weight_bytes_per_token
    from evalharness.models.tiny import tiny_gemma3, tiny_gemma3_vision

    vision, _, _ = tiny_gemma3_vision()
    text, _ = tiny_gemma3()
    assert footprint_bytes(vision) > footprint_bytes(text) + 50_000  # SigLIP and the projector are stored
    # per token, only the three image tokens' extra rows of the (tied) embedding differ
    assert weight_bytes_per_token(vision) - weight_bytes_per_token(text) == 3 * 64 * 4


def test_hostile_images_are_refused_before_decoding(tmp_path):
    from PIL import Image

    from evalharness.models.images import image_problem

    Image.new("1", (9000, 8000)).save(tmp_path / "bomb.png")  # tiny file, 72 Mpx once decoded
    assert (tmp_path / "bomb.png").stat().st_size < 1_000_000
    assert "more than 64,000,000" in image_problem(str(tmp_path / "bomb.png"))
    (tmp_path / "cut.png").write_bytes((IMAGES / "red-square.png").read_bytes()[:60])  # truncated
    assert image_problem(str(tmp_path / "cut.png"))
    assert "not a regular file" in image_problem(str(tmp_path))
