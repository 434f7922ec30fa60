"""Evidence packages: export to one zip, and verify with nothing but the zip.

Layout of a package::

    manifest.json     what is inside: report, evidence with digests, custody records by hash,
                      the signed tree head, and the digest of every other document
    manifest.sig      the node's Ed25519 signature of manifest.json (hex)
    public_key.pem    the node's public key; its SHA-256 fingerprint is given to partners apart
    custody.jsonl     the custody records of every evidence item, in log order, signed each
    proofs.json       the RFC 6962 inclusion proof of every record in the signed tree head
    case.jsonld       the CASE/UCO description (ProvenanceRecord, InvestigativeAction)
    summary.txt       the same for a human reader
    files/<sha256>    the evidence files, named by digest; none for an item disposed of, whose
                      entry is marked disposed and whose chain ends in the signed disposal
                      (such a package says format /4)

`verify_package` imports nothing from the store: it runs on a machine with no database.

The package, along those seams: `layout` (the format, the documents, what an export puts in),
`write` (the files, then the signed manifest and documents), `verify`, and `container` (the zip
around the members: every byte accounted for, every header plain). Everything is imported
from `bigfish.evidence.package`.
"""

from bigfish.evidence.package.layout import DOCUMENTS as DOCUMENTS
from bigfish.evidence.package.layout import FORMAT as FORMAT
from bigfish.evidence.package.layout import FORMAT_WITH_DISPOSED as FORMAT_WITH_DISPOSED
from bigfish.evidence.package.layout import FORMAT_WITHOUT_ACCOUNTS as FORMAT_WITHOUT_ACCOUNTS
from bigfish.evidence.package.layout import FORMATS as FORMATS
from bigfish.evidence.package.layout import REQUIRED as REQUIRED
from bigfish.evidence.package.layout import PackageContents as PackageContents
from bigfish.evidence.package.layout import disposals as disposals
from bigfish.evidence.package.layout import package_format as package_format
from bigfish.evidence.package.verify import AcquiredBy as AcquiredBy
from bigfish.evidence.package.verify import DisposedItem as DisposedItem
from bigfish.evidence.package.verify import PackageCheck as PackageCheck
from bigfish.evidence.package.verify import verify_package as verify_package
from bigfish.evidence.package.write import partial_path as partial_path
from bigfish.evidence.package.write import summary_text as summary_text
from bigfish.evidence.package.write import write_documents as write_documents
from bigfish.evidence.package.write import write_files as write_files
from bigfish.evidence.package.write import write_package as write_package

__all__ = [
    "DOCUMENTS",
    "FORMAT",
    "FORMATS",
    "FORMAT_WITHOUT_ACCOUNTS",
    "FORMAT_WITH_DISPOSED",
    "REQUIRED",
    "AcquiredBy",
    "DisposedItem",
    "PackageCheck",
    "PackageContents",
    "disposals",
    "package_format",
    "partial_path",
    "summary_text",
    "verify_package",
    "write_documents",
    "write_files",
    "write_package",
]
