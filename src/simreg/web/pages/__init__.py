"""Server-rendered pages: the channel real-name app and the back-office console."""
