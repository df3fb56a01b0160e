"""The application: content, database and use cases, opened once and shared by every adapter."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.core.content.library import ContentLibrary
from bot.core.words import plural
from bot.services.config import ServiceSettings
from bot.services.content import ContentService
from bot.services.facts import InstallationFacts
from bot.storage.connect import open_database
from bot.storage.database import Database
from bot.storage.repositories.meta import MetaRepository

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: ServiceSettings
    library: ContentLibrary
    content: ContentService
    db: Database
    facts: InstallationFacts

    @classmethod
    async def open(cls, settings: ServiceSettings) -> App:
        """Load and validate content (off the event loop), then open and migrate the database."""
        library = await asyncio.to_thread(ContentLibrary.load, settings.content_dir)
        content = await asyncio.to_thread(ContentService, library)
        db = await open_database(settings)
        log.info(
            "content: %s; database: %s (schema %d)",
            ", ".join(f"{m.id} ({plural(len(m.topics), 'topic')})" for m in library.modules.values()),
            db.describe(),
            await db.schema_version(),
        )
        return cls(
            settings=settings, library=library, content=content, db=db, facts=InstallationFacts(MetaRepository(db))
        )

    async def close(self) -> None:
        await self.db.close()
