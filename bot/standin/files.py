"""Slack's external file upload in the fake workspace: an upload URL, the bytes, then the share.

Mixed into SlackState. ``files.getUploadURLExternal`` hands out a URL on the fake's own server
(``upload_base``, set by FakeSlack when it starts); the bytes POSTed there are kept (``receive``) and
must be exactly the announced length; ``files.completeUploadExternal`` shares the uploaded files in a
channel as one message carrying ``files`` (and the call's blocks or initial comment), as Slack does.
Tests read the stored bytes from ``state.files[file_id]["content"]``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

Reply = dict[str, Any]


class FilesMixin:
    """files.getUploadURLExternal, the upload URL, files.completeUploadExternal."""

    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str
    upload_base: str = "http://127.0.0.1/upload"  # FakeSlack points it at its own server

    if TYPE_CHECKING:  # provided by SlackState
        def next_ts(self) -> str: ...

        def resolve(self, ref: Any) -> dict[str, Any] | None: ...

    def reset_files(self) -> None:
        """No file uploaded or shared."""
        self.files: dict[str, dict[str, Any]] = {}

    def m_files_getUploadURLExternal(self, p: dict) -> Reply:
        try:
            length = int(p.get("length", ""))  # missing: ValueError, like a malformed length
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if length < 1:
            return {"ok": False, "error": "invalid_length"}
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = {"id": file_id, "name": str(p.get("filename")), "title": str(p.get("filename")),
                               "length": length, "content": None, "shared": False}
        return {"ok": True, "upload_url": f"{self.upload_base}/{file_id}", "file_id": file_id}

    def receive(self, file_id: str, data: bytes) -> str | None:
        """Keep the bytes POSTed to a file's upload URL; a problem with them, else None."""
        stored = self.files.get(file_id)
        if stored is None:
            return f"upload to unknown file {file_id}"
        if len(data) != stored["length"]:
            return f"upload of {file_id} is {len(data)} bytes, files.getUploadURLExternal said {stored['length']}"
        stored["content"] = data
        return None

    def m_files_completeUploadExternal(self, p: dict) -> Reply:
        files = p.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.files.get(str(f.get("id"))) for f in files]
        if any(f is None or f["content"] is None for f in found):
            return {"ok": False, "error": "file_not_found"}  # never uploaded: Slack cannot complete it
        channel = self.resolve(p.get("channel_id")) if p.get("channel_id") else None
        if p.get("channel_id") and channel is None:
            return {"ok": False, "error": "channel_not_found"}
        shared = []
        for request, stored in zip(files, found, strict=True):
            assert stored is not None
            stored.update(title=str(request.get("title") or stored["name"]), shared=True)
            shared.append(self._file_json(stored))
        if channel is not None:
            message: dict[str, Any] = {
                "type": "message", "ts": self.next_ts(), "user": self.bot_user_id, "bot_id": self.bot_id,
                "app_id": self.app_id, "team": self.team_id, "text": str(p.get("initial_comment") or ""),
                "upload": True, "files": shared, "display_as_bot": False}
            blocks = p.get("blocks")
            if blocks and not p.get("initial_comment"):  # Slack ignores blocks when there is a comment
                message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks
            channel["messages"].append(message)
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _file_json(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The file object of a share (keys as Slack's; no URL to download it from the fake)."""
        return {"id": stored["id"], "name": stored["name"], "title": stored["title"], "size": stored["length"],
                "mimetype": "text/markdown" if stored["name"].endswith(".md") else "application/octet-stream",
                "filetype": "markdown" if stored["name"].endswith(".md") else "binary",
                "user": self.bot_user_id, "created": int(time.time()), "is_external": False}
