"""Import customers: upload a CSV file, map its columns, check it (a dry run), import it all or nothing.

One module per stage, in the order a file goes through them:

    reading    the upload decoded and parsed once (CsvFile), or refused with the reason (BadFile)
    mapping    which column holds which field: guessed from the headers, or map_<column> as chosen
    rules      the fields, their labels and their cells' checks, from the customer field registry
    matching   each row's contact keys and the customer it updates (email, then number, then name)
    changes    what a row changes on that customer, compared after the checks normalize it
    plan       the dry run (Analysis): counts, problems, what to write, the invalid rows as a file
    notes      a note column's cells as private notes (checked, compared with the customer's notes)
    writing    the write in one transaction, with the SQLite and PostgreSQL fast paths
    tables     the batched inserts and updates that writing runs
    records    the import_job rows: failed attempts, recent imports
    files      where uploads and the jobs' progress wait between requests
    listing    the dry run's list of changes (old and new values), paged and as CSV
    undo       an import taken back from what it kept in import_change
    jobs       dry runs, imports and undos off the request; routes and forms: the blueprint
    messages   what the jobs keep stays English (N_ marks it for translation); `shown` translates it on a page

The views, jobs, CLI and tests use the names below.
"""

from .files import ImportFiles, JobLock, UnknownUpload
from .mapping import (
    COMPUTED_COLUMNS,
    EXPORT_COLUMNS,
    as_args,
    clean_mapping,
    column_note,
    from_args,
    guess_field,
    guess_mapping,
    is_computed,
    left_out,
    mapping_problems,
)
from .plan import Analysis, Problem, analyse, invalid_rows_csv
from .reading import SHOWN_VALUE, BadFile, CsvFile, cell, column_labels, read_csv, shorten
from .records import done_job, recent_jobs, record_failure
from .rules import FIELDS
from .undo import CannotUndo, UndoResult, undo, undoable
from .writing import ImportConflict, begin_write, write

__all__ = [
    "COMPUTED_COLUMNS", "EXPORT_COLUMNS", "FIELDS", "SHOWN_VALUE", "Analysis", "BadFile", "CannotUndo", "CsvFile",
    "ImportConflict", "ImportFiles", "JobLock", "Problem", "UnknownUpload", "analyse", "as_args",
    "begin_write", "cell", "clean_mapping", "column_labels", "column_note", "done_job", "from_args", "guess_field",
    "guess_mapping", "invalid_rows_csv", "is_computed", "left_out", "mapping_problems", "read_csv",
    "recent_jobs", "record_failure", "shorten", "undo", "undoable", "UndoResult", "write",
]
