"""Gradebook -> class: `course autograde DIR|ZIP --jobs N [--scheduler ADDRESS]`.

  run.py      the run: input, lessons, jobs, the one gradebook writer, feedback, outputs
  intake.py   nbgrader's layout or an LMS zip (nbgrader's zip_collect), bad input in one line
  submission.py  one submission, and what is kept beside its copy (lms.json, nbgrader's timestamp.txt)
  lms_names.py  Canvas's and Moodle's file names; one notebook per learner, keyed by LMS id
  learners.py   what a zip says of its learners (LMS id, name, time), into nbgrader's Student
  roster.py   `course roster import FILE`: Canvas's gradebook / Moodle's participants CSV into the students
  export.py   `course export canvas|moodle|csv`: the gradebook in each LMS's import format
  term.py     `course term`: due dates, extensions, the late policy (kept by autograder.gradebook.deadlines)
  integrity.py  var/integrity.csv: copies, the instructor's notebook, pasted stage code (for a person to judge)
  feedback.py   the feedback pages, written again whenever what they show changed in the gradebook
  feedback_zip.py  `course feedback canvas|moodle NN-SLUG`: feedback pages named as the LMS uploads them back
  batch.py    jobs in a process pool or on a Dask cluster; the journal that makes a run resumable
  report.py   var/grades.csv and the class report (var/report.html, matplotlib charts)
"""

__all__: list[str] = []
