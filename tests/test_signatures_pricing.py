"""Pricing a decoder bank measures at most four heads and scales by the bank's head count: the
heads are independent and side by side, so a step costs heads x one head's step (and pricing a
rule-sized bank for a 1,280-unit model no longer allocates the whole bank)."""
import importlib
from dataclasses import replace

from mannlib.chapters import memory_signatures as MS

plan_module = importlib.import_module("mannlib.chapters.memory_signatures.plan")   # the package's `plan` is the function


def test_a_decoder_bank_is_priced_from_four_heads(monkeypatch):
    built = []
    real = plan_module.DecoderBank

    def recording(dim, width, vocab, heads):
        built.append(len(heads))
        return real(dim, width, vocab, heads)
    monkeypatch.setattr(plan_module, "DecoderBank", recording)
    ticks = iter(range(1000))
    monkeypatch.setattr(plan_module.time, "perf_counter", lambda: float(next(ticks)))   # every step "takes" 1 s
    p = MS.get_profile("quick")
    p = replace(p, decoder=replace(p.decoder, max_delta=10, dropouts=(0.0, 0.5), batch=8))   # 20 heads
    assert plan_module.measure_decoder_step(16, 8, p) == 20 / 4
    assert built == [4]
    small = replace(p, decoder=replace(p.decoder, max_delta=3, dropouts=(0.0,)))             # 3 heads: all measured
    assert plan_module.measure_decoder_step(16, 8, small) == 1.0 and built == [4, 3]
