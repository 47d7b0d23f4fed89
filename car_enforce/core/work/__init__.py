"""Long work a person starts from a page (an inventory or a boundary import): queued, run in the
background one step per transaction, its progress stored, so a reload or another browser shows where
it stands and a crashed worker's item is taken up again."""
