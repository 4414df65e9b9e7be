"""Footprint counts real storage: tied weights once, packed int8 weights included."""

import torch

from evalharness.measure.footprint import footprint_bytes
from evalharness.quantization import SCHEMES


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(100, 16)
        self.proj = torch.nn.Linear(16, 32)
        self.head = torch.nn.Linear(16, 100, bias=False)
        self.head.weight = self.emb.weight
        self.register_buffer("scale", torch.ones(8))


def test_fp32_counts_each_storage_once():
    m = Tied()
    expected = (100 * 16 + 16 * 32 + 32 + 8) * 4
    assert footprint_bytes(m) == expected


def test_bf16_halves_and_int8_dynamic_packs():
    m = Tied()
    fp32 = footprint_bytes(m)
    assert footprint_bytes(Tied().to(torch.bfloat16)) == fp32 // 2
    q = SCHEMES.get("int8-dynamic").apply(Tied(), "cpu")
    got = footprint_bytes(q)
    # the embedding stays fp32 (6400 B) + buffer (32 B); both Linears become int8 + scale/zp
    # (per-tensor) with fp32 bias; the head is untied from the embedding by quantization.
    assert got == 100 * 16 * 4 + 8 * 4 + (16 * 32 + 32 * 4) + (100 * 16)
    # (here that untying costs more than int8 saves; an untied stack of Linears shrinks ~4x)
    stack = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 64))
    before = footprint_bytes(stack)
    after = footprint_bytes(SCHEMES.get("int8-dynamic").apply(stack, "cpu"))
    assert before == 2 * (64 * 64 + 64) * 4
    assert after == 2 * (64 * 64 + 64 * 4)


def test_int8_dynamic_footprint_is_deterministic():
    # unpacked weights are temporaries: a reused address must not be taken for shared storage
    stack = torch.nn.Sequential(*[torch.nn.Linear(32, 32) for _ in range(12)])
    q = SCHEMES.get("int8-dynamic").apply(stack, "cpu")
    counts = {footprint_bytes(q) for _ in range(5)}
    assert counts == {12 * (32 * 32 + 32 * 4)}


def test_quantized_side_state_is_counted_once():
    """bitsandbytes keeps NF4 absmax, code tables and nested state (and int8 row scales) beside
    the packed weight: they are part of the footprint; shared code tables count once."""
    from types import SimpleNamespace

    import torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 4, bias=False), torch.nn.Linear(4, 4, bias=False))
    plain = footprint_bytes(model)
    code = torch.zeros(16, dtype=torch.float32)  # shared by both layers: 64 bytes once
    for layer in model:
        layer.weight.quant_state = SimpleNamespace(
            absmax=torch.zeros(8, dtype=torch.uint8), code=code,
            state2=SimpleNamespace(absmax=torch.zeros(2, dtype=torch.float32), code=code), dtype=torch.bfloat16)
    model[1].weight.SCB = torch.zeros(4, dtype=torch.float32)
    assert footprint_bytes(model) - plain == 2 * (8 + 8) + 64 + 16


class TiedLM(Tied):
    """Tied, with the transformers accessors the schemes use to find the embedding and head."""

    def get_input_embeddings(self):
        return self.emb

    def get_output_embeddings(self):
        return self.head

    def forward(self, ids):
        return self.head(self.emb(ids))


def test_int8_keeps_the_tied_embedding_and_head_once_in_bf16():
    """What a scheme does not quantize is bf16, computing in bf16 and handing on float32, so the
    int8 variant is smaller than bf16 (in the fp32 days it was larger)."""
    q = SCHEMES.get("int8-dynamic").apply(TiedLM(), "cpu")
    assert q.emb.weight.dtype == torch.bfloat16 and q.head.weight is q.emb.weight
    assert footprint_bytes(q) == 100 * 16 * 2 + (16 * 32 + 32 * 4) + 8 * 4
    assert footprint_bytes(q) < footprint_bytes(TiedLM().to(torch.bfloat16))
    out = q(torch.tensor([[1, 2, 3]]))
    assert out.dtype == torch.float32 and out.shape == (1, 3, 100)
    reference = TiedLM()
    reference.load_state_dict({k: v.float() for k, v in q.state_dict().items() if k in reference.state_dict()},
                              strict=False)
    assert torch.allclose(out, reference(torch.tensor([[1, 2, 3]])), rtol=0.02, atol=0.05)  # bf16 rounding


def test_int8_dynamic_head_quantizes_the_head_into_its_own_copy():
    q = SCHEMES.get("int8-dynamic-head").apply(TiedLM(), "cpu")
    assert q.emb.weight.dtype == torch.bfloat16 and not isinstance(q.head, torch.nn.Linear)
    assert footprint_bytes(q) == 100 * 16 * 2 + (16 * 32 + 32 * 4) + 100 * 16 + 8 * 4
    assert q(torch.tensor([[4, 5]])).dtype == torch.float32
