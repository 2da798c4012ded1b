// placeholder until the CSV reader lands
