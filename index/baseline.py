"""The plain LangChain recipe, kept as a yardstick: 1,000-character chunks, dense search only."""

from __future__ import annotations

from dataclasses import dataclass

from index.documents import Document


@dataclass(frozen=True)
class BaselineChunk:
    id: str
    doc_id: str
    title: str
    source: str
    start: int
    text: str


class BaselineIndex:
    """RecursiveCharacterTextSplitter(1000, 200) into an in-memory Chroma through langchain-chroma."""

    def __init__(self, documents: list[Document]) -> None:
        import uuid

        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document as LCDocument
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from index.embedding import langchain_embeddings

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        pieces = splitter.split_documents(
            [
                LCDocument(d.text, metadata={"doc_id": d.doc_id, "title": d.title, "source": str(d.path)})
                for d in documents
            ]
        )
        client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            client=client,
            embedding_function=langchain_embeddings(),
            collection_metadata={"hnsw:space": "cosine"},
        )
        ids = [f"{p.metadata['doc_id']}@{p.metadata['start_index']}" for p in pieces]
        if pieces:
            self.store.add_documents(pieces, ids=ids)
        self.chunks = {
            i: BaselineChunk(
                i,
                p.metadata["doc_id"],
                p.metadata["title"],
                p.metadata["source"],
                p.metadata["start_index"],
                p.page_content,
            )
            for i, p in zip(ids, pieces, strict=True)
        }

    def search(self, query: str, k: int = 4) -> list[BaselineChunk]:
        if not self.chunks:
            return []
        found = self.store.similarity_search(query, k=k)
        return [self.chunks[f"{d.metadata['doc_id']}@{d.metadata['start_index']}"] for d in found]
