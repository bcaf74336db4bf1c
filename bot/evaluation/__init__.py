"""Answer-quality evaluation: the golden set, its metrics, a vanilla baseline and reports.

``newsbot eval`` (``bot.frontends.cli.eval_commands``) and the CI gate
(``tests/evaluation/test_eval_gate.py``) run a set of questions through the same
``NewsBot.answer()`` the CLI and Discord use and score the ``Answer`` values it returns;
``docs/evaluation.md`` defines every metric. The question sets ship in ``sets/``.
"""
