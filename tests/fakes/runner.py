"""The step runner port faked: runs nothing, answers with scripted outcomes."""

from __future__ import annotations

from bot.domain.runbook import FlagStep, Step, StepOutcome


class FakeStepRunner:
    """Runs nothing; answers with a scripted outcome and counts runs per step."""

    def __init__(self) -> None:
        self.outcomes: dict[str, StepOutcome] = {}
        self.runs: list[tuple[str, bool]] = []

    async def run(self, step: Step, *, rollback: bool = False) -> StepOutcome:
        self.runs.append((step.id, rollback))
        if not isinstance(step, FlagStep):  # only a flag step has values before and after
            return self.outcomes.get(step.id, StepOutcome(ok=True))
        return self.outcomes.get(step.id, StepOutcome(ok=True, before=step.rollback if not rollback else step.value,
                                                      after=step.rollback if rollback else step.value))
