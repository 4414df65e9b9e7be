from evalharness.models.chat import gemma_turns, prompt_ids, render_prompt
from evalharness.suite.schema import Message


def msgs(*pairs):
    return [Message(role=r, content=c) for r, c in pairs]


def test_gemma_turn_format_folds_system_into_first_user_turn():
    text = gemma_turns(msgs(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!"),
                            ("user", "Bye")))
    assert text == (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


class TemplateTokenizer:
    chat_template = "x"

    def apply_chat_template(self, messages, add_generation_prompt, tokenize):
        assert add_generation_prompt and not tokenize
        return "<bos>T:" + "|".join(m["content"] for m in messages)

    def __call__(self, text, add_special_tokens):
        ids = [ord(c) for c in text]
        return {"input_ids": ([2] if add_special_tokens else []) + ids}


class PlainTokenizer(TemplateTokenizer):
    chat_template = None


def test_prompt_ids_uses_template_when_present_else_gemma_turns():
    m = msgs(("user", "Hi"))
    with_template = prompt_ids(TemplateTokenizer(), m, None)
    assert with_template[0] == ord("<")  # template already holds BOS: none added
    plain = prompt_ids(PlainTokenizer(), m, None)
    assert plain[0] == 2 and "".join(map(chr, plain[1:])) == gemma_turns(m)
    raw = prompt_ids(PlainTokenizer(), None, "abc")
    assert raw == [2, 97, 98, 99]
    assert render_prompt(m, None) == "user: Hi" and render_prompt(None, "abc") == "abc"
