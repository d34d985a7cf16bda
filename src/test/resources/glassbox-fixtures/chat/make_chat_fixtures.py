#!/usr/bin/env python3
"""Writes expected.json: what transformers renders for each chat template in templates/ and each
conversation in conversations.json, with add_generation_prompt true and false.

Rendering goes through transformers' own render_jinja_template, with the special tokens of
families.json as keyword arguments (what apply_chat_template passes: {**special_tokens_map, **kwargs}),
tools and the conversation's extra keyword arguments. strftime_now sees the fixed time FIXED_NOW
(the Java test fixes its clock to the same instant).

Cases where the template raises through raise_exception are kept (ok: false, error: the message).
Cases where Python itself fails (e.g. "can only concatenate str (not "list") to str" for list
content in an old template) are left out: glassbox does not emulate Python's TypeErrors.

Templates: the public Hub chat templates as huggingface.js stores them for its own Jinja tests
(source in families.json). Made with transformers 5.18.0, jinja2 3.1.6:
  python make_chat_fixtures.py   (from this folder)
"""
import datetime as _dt
import json
import os

import jinja2
import transformers
import transformers.utils.chat_template_utils as ctu

FIXED_NOW = _dt.datetime(2026, 3, 7, 9, 30, 0)


class _FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


ctu.datetime = _FixedDatetime

here = os.path.dirname(os.path.abspath(__file__))
families = json.load(open(os.path.join(here, "families.json"), encoding="utf-8"))
conversations = json.load(open(os.path.join(here, "conversations.json"), encoding="utf-8"))["conversations"]
out = {"versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__},
       "fixed_now": FIXED_NOW.isoformat(), "cases": []}
skipped = 0
for family in sorted(families):
    template = open(os.path.join(here, "templates", family + ".jinja"), encoding="utf-8").read()
    specials = families[family]["special_tokens"]
    for conv in conversations:
        for gen in (True, False):
            kwargs = {**specials, **conv.get("extra", {})}
            case = {"family": family, "id": conv["id"], "add_generation_prompt": gen}
            try:
                rendered, _ = ctu.render_jinja_template(
                    conversations=[conv["messages"]], tools=conv.get("tools"), documents=None,
                    chat_template=template, add_generation_prompt=gen, **kwargs)
                case.update(ok=True, text=rendered[0])
            except jinja2.exceptions.TemplateError as e:
                if type(e) is not jinja2.exceptions.TemplateError:  # UndefinedError etc.: Python's own failure
                    skipped += 1
                    continue
                case.update(ok=False, error=str(e))
            except Exception:
                skipped += 1
                continue
            out["cases"].append(case)
json.dump(out, open(os.path.join(here, "expected.json"), "w", encoding="utf-8"), indent=1, ensure_ascii=False)
print(len(out["cases"]), "cases,", skipped, "left out (Python errors)")
