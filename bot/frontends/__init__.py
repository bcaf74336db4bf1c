"""The interfaces people use: ``cli/`` (``newsbot`` commands), ``discord/`` (the bot), and
``common/`` (what every chat front-end shares: limits, streaming, message splitting, error
texts). Front-ends call ``AnswerService`` (``bot.service``) and only format what it returns."""
