"""lm-evaluation-harness's HellaSwag clean-up (lm_eval/tasks/hellaswag/utils.py, MIT), applied to
the text copy's query and endings."""

import re


def preprocess(text):
    text = text.strip()
    # NOTE: Brackets are artifacts of the WikiHow dataset portion of HellaSwag.
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def process_docs(dataset):
    def _process_doc(doc):
        return {"query": preprocess(doc["query"]), "choices": [preprocess(c) for c in doc["choices"]],
                "gold": int(doc["gold"])}

    return dataset.map(_process_doc)
