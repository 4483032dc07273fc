"""The bare baselines ``bench/serving.py`` serves with the same uvicorn settings as the app.

A FastAPI JSON endpoint and a Starlette one, each doing nothing but answer: the ceiling
of this machine, server and client together, against which the app's figures are read.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

fastapi_app = FastAPI()


@fastapi_app.get("/")
def fastapi_hello() -> dict[str, str]:
    return {"hello": "world"}


async def _starlette_hello(_: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


starlette_app = Starlette(routes=[Route("/", _starlette_hello)])
