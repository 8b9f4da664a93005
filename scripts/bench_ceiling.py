"""The ceiling for HTTP benchmarks: a bare Flask JSON endpoint, served by gunicorn with the
same settings as Siyu (``gunicorn scripts.bench_ceiling:app``)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify({"status": "ok"})
