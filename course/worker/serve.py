"""The worker's loop: run notebook cells in one IPython namespace, answer the grader's questions.

Learner code may do anything in here (the sandbox around the process limits what "anything" can
reach); the loop's only promise is to answer each request with plain data, or to die trying, which
the grader notices and survives. Every answer is a dict: {"ok": ...}, {"value": <description>},
{"raised": <error>}, {"missing": name} or {"failed": why} when the request itself made no sense.
"""

from __future__ import annotations

import contextlib
import io
import socket
from collections.abc import Callable
from typing import Any

from . import channel
from .call_context import CallContext
from .values import ObjectTable, decode, describe, describe_error, short_text

__all__ = ["Worker"]

_MAX_ITEMS = 10_000
_FIELD_TYPES: dict[str, Any] = {"int": int, "float": float, "str": str, "bool": bool}


class Worker:
    """Answers requests about one namespace: a fresh IPython shell's, or a given one (`namespace`).

    With a socket, learner calls run with the grader's model (`RemoteModel`) and the shop it names.
    Without one (plain nbgrader: the hidden tests run in the learner's own kernel, trusting it),
    calls run in whatever model and shop the caller has set.
    """

    def __init__(self, sock: socket.socket | None, namespace: dict[str, Any] | None = None,
                 grader: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        import course.llm
        import course.shop  # noqa: F401

        self.sock = sock
        self.grader = grader  # without a socket: how a grader function is asked (plain nbgrader, in-process)
        self.table = ObjectTable()
        self._context = CallContext()  # the grader's model and shop, for each call
        self.shell: Any = None
        if namespace is None:
            from IPython.core.interactiveshell import InteractiveShell

            self.shell = InteractiveShell.instance(history_length=0, colors="nocolor")
            self.shell.user_ns["__name__"] = "__main__"
            namespace = self.shell.user_ns
        self.namespace = namespace

    # -- requests -----------------------------------------------------------------------------

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        handler = getattr(self, f"_op_{op}", None) if isinstance(op, str) else None
        if handler is None:
            return {"failed": f"unknown request {op!r}"}
        try:
            answer: dict[str, Any] = handler(request)
            return answer
        except _Missing as missing:
            return {"missing": str(missing)}
        except _BadRequest as error:
            return {"failed": str(error)}
        except BaseException as error:
            return {"raised": describe_error(error)}

    def _op_run_cell(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run a cell; the answer carries the start of what it wrote to stderr (warnings included)."""
        if self.shell is None:
            raise _BadRequest("this worker runs no cells")
        err = _Capped()
        with contextlib.redirect_stdout(_Capped()), contextlib.redirect_stderr(err):
            result = self.shell.run_cell(str(request["source"]), store_history=False, silent=False)
        error = result.error_in_exec or result.error_before_exec
        answer: dict[str, Any] = {"ok": True} if error is None else {"raised": describe_error(error)}
        if err.text:
            answer["stderr"] = short_text(err.text, 500)
        return answer

    def _op_defines(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"ok": str(request["name"]) in self.namespace}

    def _op_get(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"value": describe(self._resolve(request["target"]), self.table)}

    def _op_call(self, request: dict[str, Any]) -> dict[str, Any]:
        target = self._resolve(request["target"])
        args = self._decode(request.get("args", []))
        kwargs = {str(k): self._decode(v) for k, v in (request.get("kwargs") or {}).items()}
        context = request.get("context") or {}
        with self._context(self.sock, context) as shop:
            before = shop.faults.counts() if shop is not None else {}
            try:
                answer: dict[str, Any] = {"value": describe(target(*args, **kwargs), self.table)}
            except BaseException as error:
                answer = {"raised": describe_error(error)}
            if shop is not None:  # how many planned failures the call used up, for the grader's own plan
                answer["faults_used"] = {tool: left - shop.faults.pending(tool) for tool, left in before.items()}
        return answer

    def _op_each(self, request: dict[str, Any]) -> dict[str, Any]:
        """Calls in one round trip, in order (a test's thread of fifty events): their values, or the first raise."""
        calls = list(request.get("calls") or [])
        if len(calls) > _MAX_ITEMS:
            raise _BadRequest(f"{len(calls):,} calls in one request; at most {_MAX_ITEMS:,}")
        items: list[dict[str, Any]] = []
        for call in calls:
            answer = self._op_call({**dict(call), "context": {}})
            if "value" not in answer:
                return answer
            items.append(answer["value"])
        return {"items": items}

    def _op_getitem(self, request: dict[str, Any]) -> dict[str, Any]:
        target = self._resolve(request["target"])
        return {"value": describe(target[self._decode(request["key"])], self.table)}

    def _op_iter(self, request: dict[str, Any]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for item in self._resolve(request["target"]):
            if len(items) >= _MAX_ITEMS:
                break
            items.append(describe(item, self.table))
        return {"items": items}

    def _op_subclass(self, request: dict[str, Any]) -> dict[str, Any]:
        """A pydantic subclass of a learner class, from a plain description (the grader's probes)."""
        from typing import Literal

        from pydantic import Field, create_model

        base = self._resolve(request["base"])
        fields: dict[str, Any] = {}
        for name, spec in dict(request["fields"]).items():
            kind = spec["type"]
            annotation = Literal[tuple(kind["enum"])] if isinstance(kind, dict) else _FIELD_TYPES[kind]
            fields[str(name)] = (annotation, Field(description=spec.get("description")))
        made = create_model(str(request["name"]), __base__=base, __doc__=request.get("doc"), **fields)
        made.__module__ = "__main__"
        return {"value": describe(made, self.table)}

    def _op_assign(self, request: dict[str, Any]) -> dict[str, Any]:
        """Set a global of the notebook (a stand-in, or the learner's own object put back)."""
        name = str(request["name"])
        if "value" in request:
            self.namespace[name] = self._decode(request["value"])
        else:
            self.namespace.pop(name, None)
        return {"ok": True}

    def _op_stop(self, request: dict[str, Any]) -> dict[str, Any]:
        raise SystemExit(0)

    # -- helpers ------------------------------------------------------------------------------

    def _decode(self, arg: Any) -> Any:
        return decode(arg, self.table, self._callback)

    def _callback(self, number: int) -> Callable[..., Any]:
        """A function that asks the grader's function `number` (a stand-in, say) and returns its answer."""
        worker = self

        def ask_the_grader(*args: Any, **kwargs: Any) -> Any:
            question = {"op": "callback", "id": number, "args": [describe(a, worker.table) for a in args],
                        "kwargs": {k: describe(v, worker.table) for k, v in kwargs.items()}}
            answer = worker._ask_grader(question)
            if "returned" in answer:
                return worker._decode(answer["returned"])
            if "raise" in answer:  # the stand-in raises one of the learner's exceptions (or one it made), as their code would
                raised = worker._decode(answer["raise"])
                raise raised if isinstance(raised, BaseException) else raised(str(answer.get("message", "")))
            raise RuntimeError(short_text(str(answer.get("failed_callback", "the grader's function failed"))))

        ask_the_grader.__qualname__ = ask_the_grader.__name__ = f"grader_function_{number}"
        return ask_the_grader

    def _ask_grader(self, question: dict[str, Any]) -> dict[str, Any]:
        """Over the socket, answering the grader's own requests meanwhile (it may look at what it was given)."""
        if self.sock is None:
            if self.grader is None:
                raise RuntimeError("this worker cannot ask the grader")
            return self.grader(question)
        channel.send(self.sock, question)
        while True:
            message: dict[str, Any] = channel.receive(self.sock)
            if "returned" in message or "failed_callback" in message or "raise" in message:
                return message
            channel.send(self.sock, self.answer(message))

    def _resolve(self, target: Any) -> Any:
        if not isinstance(target, dict):
            raise _BadRequest(f"a target must be an object, not {type(target).__name__}")
        if "ref" in target:
            obj = self.table.get(int(target["ref"]))
        elif "name" in target:
            name = str(target["name"])
            if name not in self.namespace:
                raise _Missing(name)
            obj = self.namespace[name]
        else:
            obj = decode(target.get("value"), self.table)
        for part in target.get("path", []):
            obj = getattr(obj, str(part))
        return obj


class _Capped(io.TextIOBase):
    """A text stream that keeps the first few thousand characters written to it and drops the rest."""

    _LIMIT = 4000

    def __init__(self) -> None:
        self.text = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if len(self.text) < self._LIMIT:
            self.text += str(text)[: self._LIMIT - len(self.text)]
        return len(text)


class _Missing(LookupError):
    pass


class _BadRequest(ValueError):
    pass
